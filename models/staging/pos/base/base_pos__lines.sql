{# Every raw receipt line, parsed, in exactly one bucket; a line whose receipt has no
   valid row is an orphan; return lines carry negative quantities (macro `base_lines`,
   shared with order items). #}
{{ base_lines('pos', 'pos_lines', parent_model='base_pos__transactions', parent_key='txn_id') }}
