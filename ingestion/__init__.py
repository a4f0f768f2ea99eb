"""Stripe → warehouse ingestion (dlt source `stripe`), its CLI, webhooks and the dashboard."""
