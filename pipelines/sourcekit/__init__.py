"""Building blocks shared by runsteps' dlt sources (the Assistants API source, and the successor APIs').

Nothing here knows one API's paths or objects:
- `config`: the provider table and the frozen, checked client configuration;
- `http`: the async JSON client (connection pools, retries, cursor paging), the only HTTP code;
- `limiter`: the adaptive concurrency limiter; `retries`: the retry and back-off rules;
- `ids`: the rule for ids that go into URL paths;
- `arrow`: typed table contracts, and rows batched to dlt as Arrow tables;
- `cursor_table`: per-object cursors kept in a table of the dataset, not in dlt's state blob;
- `background`: an async producer consumed by dlt's synchronous generator;
- `shards`: stable K/N sharding of object ids;
- `errors`: the typed errors every source raises (the app maps them to exit codes).
"""
