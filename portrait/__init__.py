"""portrait: a customer-360 / user-profile warehouse on dbt and DuckDB."""

__version__ = "0.1.0"
