"""A Stripe-compatible local API serving a deterministic synthetic account, with ground truth."""
