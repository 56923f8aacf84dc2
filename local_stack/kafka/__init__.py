"""BeatStitch's own single-node Apache Kafka broker (KRaft mode), run from Kafka's jars.

`broker.LocalKafka` starts, stops and reports on one broker; `properties` writes its
configuration, `jvm` finds Java and the jars and formats storage, `process` owns the
broker's JVM process, and `probe` asks a cluster what it is.
"""
