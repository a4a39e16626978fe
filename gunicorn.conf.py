# gunicorn reads this from its working directory (the Dockerfile's /app, and make stack's
# checkout). The default access log records query strings (searches can hold a name or a phone
# number) and referrers; this one records the path without them, and the request id that joins
# a line to the audit trail.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss %({x-request-id}o)s "%(a)s"'
