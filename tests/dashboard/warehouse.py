"""A hand-made warehouse holding the marts the dashboard reads, with numbers worked out by hand.

Portable SQL: the same script builds it in a DuckDB file and in a Postgres database.

Three months; 2024-03 is in progress (as of 2024-03-10 12:00 UTC). Customers: A (US, cohort 2024-01,
group Acme, person p_A), B (FR, 2024-01, coupon "20% off"), T (US, 2024-02, a test customer by email),
E (source stripe.eu, DE, 2024-02, group Acme, person p_E; metadata test_customer "false"). Products Pro
and Basic. Amounts in cents:

    revenue  Jan  A Pro 10000, B Basic 5000, B refund -1000           gross 15000 net 14000 paying 2
             Feb  A Pro 10000, B Basic 5000, T Pro 2000, E Pro 8000,
                  E Basic 3000, A credit note -500                     gross 28000 net 27500 paying 4
             Mar  A Pro 10000, E Pro 8000, a charge with no customer 700   gross 18700 (month to date)
             Sep  A Pro 10000: scheduled recognition after the calendar, never shown
    MRR      Jan  A new 10000, B new 5000                                   end 15000, 2 active
             Feb  A unchanged, B churn 5000, T new 2000, E new 9000       start 15000, end 21000, 3 active
             Mar  A expansion 2000, T churn 2000, E FX +100               start 21000, end 21100, 2 active

February, the latest complete month: MRR $210.00 (+40.0%), ARR $2,520.00, subscriber churn 1 / (2 + 2)
= 25.0%, MRR churn 5000 / 15000 = 33.3%, net MRR churn 33.3%, net MRR retention 10000 / 15000 = 66.7%,
churned revenue $50.00, ARPU 28000 / 4 = $70.00, LTV 70 / 0.25 = $280.00, revenue growth (280 - 150) /
150 = +86.7%; subscriptions: 3 active, 3 new, 1 churned.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MARTS = """
create schema revenue_analytics;
create schema reference;
create table reference.currency_exponents (currency varchar, exponent integer);
insert into reference.currency_exponents values ('USD', 2), ('JPY', 0);

create table revenue_analytics.dim_months (month_start date, month_end date, year_month varchar,
    month_status varchar, as_of_at timestamp);
insert into revenue_analytics.dim_months values
    ('2024-01-01', '2024-01-31', '2024-01', 'closed', '2024-03-10 12:00:00'),
    ('2024-02-01', '2024-02-29', '2024-02', 'closed', '2024-03-10 12:00:00'),
    ('2024-03-01', '2024-03-31', '2024-03', 'in_progress', '2024-03-10 12:00:00');

create table revenue_analytics.dim_customers (source_label varchar, customer_id varchar, name varchar,
    email varchar, metadata json, country varchar, cohort varchar, initial_coupon varchar);
insert into revenue_analytics.dim_customers values
    ('stripe', 'cus_A', 'Ada <b>Lovelace</b>', 'ada@example.com', '{}', 'US', '2024-01', null),
    ('stripe', 'cus_B', 'Blaise', 'blaise@example.fr', null, 'FR', '2024-01', '20% off'),
    ('stripe', 'cus_T', 'QA robot', 'QA@Example.TEST', null, 'US', '2024-02', null),
    ('stripe.eu', 'cus_E', 'Emmy', 'emmy@example.de', '{"test_customer": "false"}', 'DE', '2024-02', null);

create table revenue_analytics.dim_products (source_label varchar, product_id varchar, name varchar);
insert into revenue_analytics.dim_products values
    ('stripe', 'prod_pro', 'Pro'), ('stripe', 'prod_basic', 'Basic'),
    ('stripe.eu', 'prod_pro', 'Pro'), ('stripe.eu', 'prod_basic', 'Basic');

create table revenue_analytics.fct_revenue_items (source_label varchar, customer_id varchar, product_id varchar,
    recognized_at timestamp, revenue_type varchar, is_gross boolean, amount_minor bigint, synced_at timestamp);
insert into revenue_analytics.fct_revenue_items values
    ('stripe', 'cus_A', 'prod_pro', '2024-01-01 00:00', 'invoice_line', true, 10000, '2024-03-10 11:00'),
    ('stripe', 'cus_B', 'prod_basic', '2024-01-15 09:00', 'invoice_line', true, 5000, '2024-03-10 11:00'),
    ('stripe', 'cus_B', 'prod_basic', '2024-01-20 10:00', 'refund', false, -1000, '2024-03-10 11:00'),
    ('stripe', 'cus_A', 'prod_pro', '2024-02-01 00:00', 'invoice_line', true, 10000, '2024-03-10 11:00'),
    ('stripe', 'cus_B', 'prod_basic', '2024-02-01 00:00', 'invoice_line', true, 5000, '2024-03-10 11:00'),
    ('stripe', 'cus_T', 'prod_pro', '2024-02-10 00:00', 'invoice_line', true, 2000, '2024-03-10 11:00'),
    ('stripe.eu', 'cus_E', 'prod_pro', '2024-02-12 00:00', 'invoice_line', true, 8000, '2024-03-10 11:00'),
    ('stripe.eu', 'cus_E', 'prod_basic', '2024-02-12 00:00', 'invoice_line', true, 3000, '2024-03-10 11:00'),
    ('stripe', 'cus_A', 'prod_pro', '2024-02-20 00:00', 'credit_note', false, -500, '2024-03-10 11:00'),
    ('stripe', 'cus_A', 'prod_pro', '2024-03-01 00:00', 'invoice_line', true, 10000, '2024-03-10 11:00'),
    ('stripe.eu', 'cus_E', 'prod_pro', '2024-03-01 00:00', 'invoice_line', true, 8000, '2024-03-10 11:00'),
    ('stripe', null, null, '2024-03-05 00:00', 'charge', true, 700, '2024-03-10 11:00'),
    ('stripe', 'cus_A', 'prod_pro', '2024-09-01 00:00', 'invoice_line', true, 10000, '2024-03-10 11:00');

create table revenue_analytics.fct_mrr_movements (month_start date, source_label varchar, customer_id varchar,
    movement varchar, starting_mrr_minor bigint, new_mrr_minor bigint, expansion_mrr_minor bigint,
    contraction_mrr_minor bigint, churned_mrr_minor bigint, reactivation_mrr_minor bigint, fx_mrr_minor bigint,
    ending_mrr_minor bigint);
insert into revenue_analytics.fct_mrr_movements values
    ('2024-01-01', 'stripe', 'cus_A', 'new', 0, 10000, 0, 0, 0, 0, 0, 10000),
    ('2024-01-01', 'stripe', 'cus_B', 'new', 0, 5000, 0, 0, 0, 0, 0, 5000),
    ('2024-02-01', 'stripe', 'cus_A', 'unchanged', 10000, 0, 0, 0, 0, 0, 0, 10000),
    ('2024-02-01', 'stripe', 'cus_B', 'churn', 5000, 0, 0, 0, 5000, 0, 0, 0),
    ('2024-02-01', 'stripe', 'cus_T', 'new', 0, 2000, 0, 0, 0, 0, 0, 2000),
    ('2024-02-01', 'stripe.eu', 'cus_E', 'new', 0, 9000, 0, 0, 0, 0, 0, 9000),
    ('2024-03-01', 'stripe', 'cus_A', 'expansion', 10000, 0, 2000, 0, 0, 0, 0, 12000),
    ('2024-03-01', 'stripe', 'cus_T', 'churn', 2000, 0, 0, 0, 2000, 0, 0, 0),
    ('2024-03-01', 'stripe.eu', 'cus_E', 'unchanged', 9000, 0, 0, 0, 0, 0, 100, 9100);

create table revenue_analytics.fct_mrr_monthly (month_start date, source_label varchar, ending_mrr decimal(38, 3),
    fx_mrr decimal(38, 3));
insert into revenue_analytics.fct_mrr_monthly values
    ('2024-01-01', 'stripe', 150, 0), ('2024-01-01', 'stripe.eu', 0, 0),
    ('2024-02-01', 'stripe', 120, 0), ('2024-02-01', 'stripe.eu', 90, 0),
    ('2024-03-01', 'stripe', 120, 0), ('2024-03-01', 'stripe.eu', 91, 1);

create table revenue_analytics.fct_subscriptions_customer_monthly (month_start date, source_label varchar,
    customer_id varchar, active_subscriptions bigint, trialing_subscriptions bigint, new_subscriptions bigint,
    churned_subscriptions bigint);
insert into revenue_analytics.fct_subscriptions_customer_monthly values
    ('2024-01-01', 'stripe', 'cus_A', 1, 0, 1, 0), ('2024-01-01', 'stripe', 'cus_B', 1, 0, 1, 0),
    ('2024-02-01', 'stripe', 'cus_A', 1, 0, 0, 0), ('2024-02-01', 'stripe', 'cus_B', 0, 0, 0, 1),
    ('2024-02-01', 'stripe', 'cus_T', 1, 0, 1, 0), ('2024-02-01', 'stripe.eu', 'cus_E', 1, 1, 2, 0),
    ('2024-03-01', 'stripe', 'cus_A', 1, 0, 0, 0), ('2024-03-01', 'stripe', 'cus_T', 0, 0, 0, 1),
    ('2024-03-01', 'stripe.eu', 'cus_E', 2, 0, 0, 0);

create table revenue_analytics.fct_deferred_revenue_monthly (month_start date, source_label varchar,
    billed_minor bigint, recognized_minor bigint, cleared_minor bigint, deferred_balance_minor bigint);
insert into revenue_analytics.fct_deferred_revenue_monthly values
    ('2024-01-01', 'stripe', 120000, 10000, 0, 110000), ('2024-02-01', 'stripe', 0, 10000, 0, 100000),
    ('2024-02-01', 'stripe.eu', 6000, 2000, 0, 4000), ('2024-03-01', 'stripe', 0, 10000, 0, 90000);

create table revenue_analytics.fct_revenue_metrics (month_start date, currency varchar,
    gross_revenue decimal(38, 3), net_revenue decimal(38, 3), mrr decimal(38, 3), paying_customers bigint,
    active_customers bigint, subscriber_churn_rate double precision, mrr_churn_rate double precision,
    net_mrr_churn_rate double precision, net_mrr_retention double precision, churned_revenue decimal(38, 3));
insert into revenue_analytics.fct_revenue_metrics values
    ('2024-01-01', 'USD', 150, 140, 150, 2, 2, 0.0, null, null, null, 0),
    ('2024-02-01', 'USD', 280, 275, 210, 4, 3, 0.25, 1.0 / 3, 1.0 / 3, 2.0 / 3, 50),
    ('2024-03-01', 'USD', 187, 187, 211, 2, 2, 1.0 / 3, 2000.0 / 21000, 0.0, 1.0, 20);

create table revenue_analytics.dim_customer_persons (source_label varchar, customer_id varchar, person_id varchar);
insert into revenue_analytics.dim_customer_persons values
    ('stripe', 'cus_A', 'p_A'), ('stripe.eu', 'cus_E', 'p_E'), ('stripe', 'cus_B', null);
create table revenue_analytics.dim_customer_groups (source_label varchar, customer_id varchar, group_key varchar,
    group_name varchar);
insert into revenue_analytics.dim_customer_groups values
    ('stripe', 'cus_A', 'grp_1', 'Acme'), ('stripe.eu', 'cus_E', 'grp_1', 'Acme'), ('stripe', 'cus_B', null, null);
create table revenue_analytics.persons_revenue_analytics (person_id varchar, revenue_minor bigint,
    revenue_last_30_days_minor bigint, mrr_minor bigint, customer_count integer);
insert into revenue_analytics.persons_revenue_analytics values
    ('p_A', 29500, 10000, 12000, 1), ('p_E', 19000, 8000, 9100, 1);
create table revenue_analytics.groups_revenue_analytics (group_type varchar, group_key varchar, name varchar,
    revenue_minor bigint, revenue_last_30_days_minor bigint, mrr_minor bigint, customer_count integer);
insert into revenue_analytics.groups_revenue_analytics values ('company', 'grp_1', 'Acme', 48500, 18000, 21100, 2);
"""


def make_warehouse(path: Path, extra_sql: str = "") -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(MARTS + extra_sql)
    return path


def make_postgres_warehouse(url: str) -> str:
    """The same marts in the Postgres database `url` (the SQL above is portable); returns `url`."""
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con, con.cursor() as cursor:
            cursor.execute(MARTS)
    finally:
        con.close()
    return url
