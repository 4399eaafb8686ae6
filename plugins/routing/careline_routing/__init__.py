"""careline-routing: Routing: queues, priorities and assignment by rules, with try and replay."""
