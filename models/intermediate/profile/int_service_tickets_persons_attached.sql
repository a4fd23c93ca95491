{# Customer-service tickets with the person who raised them: by shop account, else the
   contact phone, else the contact e-mail (placeholders resolve to nobody). One row per
   ticket; `person_id` NULL when no contact resolves. #}

with

tickets as (
    select * from {{ ref('stg_service__tickets') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

final as (
    select
        tickets.ticket_id,
        coalesce(account_persons.person_id, phone_persons.person_id, email_persons.person_id) as person_id,
        tickets.channel,
        tickets.category,
        tickets.satisfaction,
        tickets.category = 'complaint' as is_complaint,
        {{ local_date('tickets.created_at') }} as created_date,
        tickets.created_at,
        tickets.resolved_at
    from tickets
    left join person_map as account_persons
        on account_persons.identifier_type = 'account_id' and tickets.account_id = account_persons.identifier_value
    left join person_map as phone_persons
        on phone_persons.identifier_type = 'phone' and tickets.contact_phone = phone_persons.identifier_value
    left join person_map as email_persons
        on email_persons.identifier_type = 'email' and tickets.contact_email = email_persons.identifier_value
)

select * from final
