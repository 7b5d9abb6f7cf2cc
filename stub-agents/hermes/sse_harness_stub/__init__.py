"""The sse-harness stub agent for hermes-webui: plays a scripted answer instead of calling a model.

run_agent.py (next to this package) is the module hermes-webui imports; this package holds the parts that do not
depend on the server's interface: the token texts (script.py), the harness's control channel (control.py) and the
player of one turn (turn.py).
"""
