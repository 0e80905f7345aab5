"""Lab sources: labs/vol<V>/lab_<NN>_<chapter>.py, each defining LAB (a labkit.Lab)."""
