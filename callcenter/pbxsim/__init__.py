"""PBX simulator: an Asterisk stand-in that speaks AMI and FastAGI for tests, the demo and benchmarks."""
