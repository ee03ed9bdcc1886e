//! AppProject rules: source repositories, destinations, resource allow and deny lists, sync windows.
