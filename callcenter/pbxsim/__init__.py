"""The Asterisk stand-in: an AMI server and a call model that emit what Asterisk 22 emits.

Used by the tests, the demo and the benchmarks in place of a real Asterisk::

    sim = PbxSimulator(clock=VirtualClock(), queue_log_path="queue_log", ivr=FastAgiIvr("127.0.0.1", 4573))
    await sim.start()                     # AMI on 127.0.0.1:sim.ami_port, users of PbxConfig (lab defaults)
    sim.pbx.originate(CallSpec("+15551230001", "Alice", choice="1", account="4321", hold=20))
    generator = TrafficGenerator(sim.pbx, TrafficProfile(calls_per_minute=60), seed=7)
    generator.start()
    ...
    generator.truth()                     # CallTruth per call: outcome, queue, agent, wait, talk, hangup_by
    await sim.restart()                   # Shutdown, sockets closed, fresh Uniqueid/Local counters
    await sim.stop()

or `callcenter pbxsim` on the command line. Calls can also be originated over AMI exactly like the lab
did (`Originate` of `Local/s@customer` with the CHOICE/ACCOUNT/HOLD/__TALK/__RINGSECS variables).
The IVR runs either the lab's main menu locally or, with `FastAgiIvr`, a FastAGI server's script.
"""
