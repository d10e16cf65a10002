"""Full-text and field search over the archive's documents.

Pure: knows nothing of the archive beyond the ``IndexRecord`` it is handed; never prints or exits. The index is
a rebuildable copy of the catalog (the source of truth).

::

    record.py        IndexRecord, Hit, SearchResult: what the archive and the engines exchange
    fields.py        the field registry (FIELDS.md + the archive's own fields), value normalisation
    analysis.py      tokenise, fold, stem: shared by every engine and the highlighter
    tree.py          our query tree (frozen dataclasses), engine-independent
    query.py         our query language -> that tree (parse never raises)
    engine.py        the Engine interface and the factory (open_engine, create_engine, rebuild_engine)
    whoosh_engine.py the Whoosh engine
    tantivy_engine.py the Tantivy engine (same semantics; see tests/search/test_engine_parity.py)
    snippet.py       highlighted fragments of a document's text, engine-independent
    errors.py        SearchError and its subclasses
    _layout.py       the index folder: generations, schema sentinel, atomic swap
"""
