"""`make deploy STAGE=…`: the whole first deploy or an update of a stage, idempotent, step by step."""
