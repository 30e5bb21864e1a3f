"""The appeal (申诉) workflow as pure rules: states, windows and limits, assessment, drafting.

Nothing here does I/O; the services load facts from the database and pass them in.
"""
