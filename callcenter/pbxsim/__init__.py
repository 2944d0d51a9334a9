"""The Asterisk stand-in: an AMI server and a call model that emit what Asterisk 22 emits.

Used by the tests, the demo and the benchmarks in place of a real Asterisk. Start one with
`PbxSimulator` (or `callcenter pbxsim`), originate calls over AMI like the lab did, or drive traffic
with `TrafficGenerator`; every finished call leaves its ground truth in `Pbx.finished`.
"""
