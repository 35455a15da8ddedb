"""Computer-telephony integration: the PBX side (the call-event endpoint and its bridges)."""
