"""Issue 9, hostile files: bombs, path tricks, active content, entities and polyglots are refused (or
accepted only clean) within memory and time caps, and nothing is written when they are refused."""
