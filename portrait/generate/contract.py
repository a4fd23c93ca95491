"""The raw landing contract (`docs/contracts.md`) as data.

Column names are the contract: never rename them. `tests/python/test_generate.py`
checks this dict against the markdown table of the spec.
"""

from __future__ import annotations

RAW_CONTRACT: dict[str, list[str]] = {
    "crm_members": [
        "member_id", "card_no", "full_name", "phone", "email", "gender", "birth_date",
        "city", "register_channel", "registered_at", "updated_at", "unionid",
    ],
    "shop_accounts": ["account_id", "phone", "email", "nickname", "created_at", "updated_at"],
    "shop_orders": [
        "order_id", "account_id", "order_ts", "status", "platform", "total_amount",
        "discount_amount", "coupon_code", "ship_city", "ship_phone", "updated_at",
    ],
    "shop_order_items": [
        "order_id", "line_no", "sku", "category_l1", "category_l2", "unit_price", "quantity",
    ],
    "app_events": [
        "event_id", "event_ts", "received_at", "event_name", "platform", "device_id",
        "anonymous_id", "account_id", "openid", "sku", "category_l1", "content_type",
        "search_term", "utm_source", "utm_medium", "page_url", "properties",
    ],
    "wechat_users": [
        "openid", "unionid", "app_id", "phone", "subscribed", "first_seen_at", "updated_at",
    ],
    "pos_transactions": [
        "txn_id", "store_id", "store_city", "member_card_no", "phone", "txn_ts",
        "total_amount", "payment_method",
    ],
    "pos_lines": ["txn_id", "line_no", "sku", "category_l1", "category_l2", "unit_price", "quantity"],
    "service_tickets": [
        "ticket_id", "created_at", "resolved_at", "channel", "contact_phone", "contact_email",
        "account_id", "category", "satisfaction", "comment", "updated_at",
    ],
    "campaigns": ["campaign_id", "name", "objective", "channel", "start_at", "end_at"],
    "campaign_touches": [
        "touch_id", "campaign_id", "channel", "recipient_type", "recipient", "assigned_group",
        "sent_at", "opened_at", "clicked_at",
    ],
    "survey_responses": [
        "response_id", "submitted_at", "phone", "email", "nps", "interests", "age_band",
        "income_band",
    ],
    "privacy_requests": ["request_id", "identifier_type", "identifier", "request_type", "requested_at"],
}

#: Business key columns per table (the key a row is identified by in `truth/junk.parquet`).
RAW_KEYS: dict[str, list[str]] = {
    "crm_members": ["member_id"],
    "shop_accounts": ["account_id"],
    "shop_orders": ["order_id"],
    "shop_order_items": ["order_id", "line_no"],
    "app_events": ["event_id"],
    "wechat_users": ["openid"],
    "pos_transactions": ["txn_id"],
    "pos_lines": ["txn_id", "line_no"],
    "service_tickets": ["ticket_id"],
    "campaigns": ["campaign_id"],
    "campaign_touches": ["touch_id"],
    "survey_responses": ["response_id"],
    "privacy_requests": ["request_id"],
}

#: Arrival column per table (docs/contracts.md, "Time"); lines arrive with their parent.
ARRIVAL_COLUMN: dict[str, str] = {
    "crm_members": "updated_at",
    "shop_accounts": "updated_at",
    "shop_orders": "updated_at",
    "shop_order_items": "(parent shop_orders first version)",
    "app_events": "received_at",
    "wechat_users": "updated_at",
    "pos_transactions": "txn_ts",
    "pos_lines": "(parent pos_transactions)",
    "service_tickets": "updated_at",
    "campaigns": "start_at",
    "campaign_touches": "sent_at (control rows: the campaign's start_at)",
    "survey_responses": "submitted_at",
    "privacy_requests": "requested_at",
}

VERSIONED_TABLES = ("crm_members", "shop_accounts", "shop_orders", "wechat_users", "service_tickets")

IDENTIFIER_TYPES = (
    "member_id", "card_no", "account_id", "phone", "email",
    "device_id", "anonymous_id", "openid", "unionid",
)

#: Junk reason codes (docs/raw_formats.md), in code order (code 0 = valid row).
JUNK_REASONS = (
    "unparseable_timestamp", "future_timestamp", "missing_key", "unparseable_amount",
    "absurd_amount", "unmapped_enum", "orphan_line",
)
