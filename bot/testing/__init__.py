"""Test support shared by the tests and the benchmarks: a fake Slack Web API over real HTTP,
signed Slack requests, a launcher for `sco-bot serve`, waiting with a deadline. Also runnable
for local rehearsals: `python -m bot.testing.fakeslack`."""
