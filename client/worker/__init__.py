"""The client as a service: a job queue, its handlers and a worker that runs them."""
