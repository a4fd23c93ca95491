{# Survey answers with the person who gave them: by phone, else e-mail. One row per
   response; `person_id` NULL when neither resolves. #}

with

surveys as (
    select * from {{ ref('stg_survey__responses') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

final as (
    select
        surveys.response_id,
        coalesce(phone_persons.person_id, email_persons.person_id) as person_id,
        surveys.nps,
        surveys.interests,
        surveys.age_band,
        surveys.income_band,
        {{ local_date('surveys.submitted_at') }} as submitted_date,
        surveys.submitted_at
    from surveys
    left join person_map as phone_persons
        on phone_persons.identifier_type = 'phone' and surveys.phone = phone_persons.identifier_value
    left join person_map as email_persons
        on email_persons.identifier_type = 'email' and surveys.email = email_persons.identifier_value
)

select * from final
