"""The day-ahead load forecast issued every morning: schedule, issue, store, report, accuracy."""
