"""A later start of the same app: sends what the crashed run left behind (used by tests)."""

import sys

import dumpcatcher

dumpcatcher.init(
    endpoint=sys.argv[1],
    product_key="pk_test_0123456789",
    secret="sk-test-S3cr3t-value-do-not-log",
    app_name="crash-app",
    app_version="2.0.1",
    queue_dir=sys.argv[2],
    auto_session_tracking=False,  # tests/test_sessions.py counts sessions
)
client = dumpcatcher.get_client()
print(client.client_id if client else "no-client")
sys.exit(0 if dumpcatcher.flush(10) else 3)
