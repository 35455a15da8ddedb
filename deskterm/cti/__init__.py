"""Computer-telephony integration: the PBX side"""
