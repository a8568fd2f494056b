"""ThreadLab's domain core: settings, models, ingest, planning, codegen, store, pipeline."""
