"""The API's shared machinery (docs/api.md), used by every resource under /api/v1/: the one
error shape, bearer tokens, throttles, pagination, the scoped base viewset, optimistic
concurrency and idempotent POSTs; and the hotline app's own resources (calls, tips, reference
data). The cases app's resources (cases/api/) and the statistics (reports) build on it."""
