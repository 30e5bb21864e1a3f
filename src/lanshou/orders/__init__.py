"""Orders and shipments as merchants see them: lists, shipping, carriers, the contact log."""
