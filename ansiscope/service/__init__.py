"""``ansiscope serve``: the long-running process that owns the store, follows folders and answers HTTP."""
