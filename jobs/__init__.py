"""RQ: queue names, the job wrapper, job functions, the cron schedule and the worker CLI."""
