"""Support for the chaos test: the order-entry worker process, process supervision, audit."""
