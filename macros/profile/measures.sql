{#- The behavioural vocabulary shared by the daily rollups, the metrics and the docs:
    which event names count as which measure. -#}
{% macro event_measures() -%}
    {{ return({
        'page_views': ['page_view'],
        'product_views': ['product_view'],
        'searches': ['search'],
        'cart_adds': ['add_to_cart'],
        'favourites': ['favorite'],
        'shares': ['share'],
        'content_engagements': ['video_play', 'content_like'],
        'logins': ['login'],
        'checkouts': ['checkout'],
        'push_opens': ['push_open'],
    }) }}
{%- endmacro %}

{#- Digital platforms of app events (`web`, `ios`, `android`, `miniprogram`). -#}
{% macro event_platforms() -%}
    {{ return(['web', 'ios', 'android', 'miniprogram']) }}
{%- endmacro %}

{#- Dayparts in clock order (see `daypart`). -#}
{% macro dayparts() -%}
    {{ return(['night', 'morning', 'afternoon', 'evening']) }}
{%- endmacro %}

{#- Windows (days) of the rolling metrics; `lifetime` is added beside them. -#}
{% macro metric_windows() -%}
    {{ return(var('portrait__metric_windows')) }}
{%- endmacro %}
