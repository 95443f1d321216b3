"""The notes API by operation family: `v1` (list, create, detail, update, delete), `sync`
(offline changes) and `reference` (the reference architecture's `POST /notes`); `shared` holds what
they have in common."""
