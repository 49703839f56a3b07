"""Reference data: facts about the world the kit recognises in users' exports — provinces and
cities, industry sections, header spellings, the words systems write for yes/no, cancelled,
complaint… Unlike analysis/vocab (what the kit says), these are what users' files say, so they
stay whatever the report's language."""
