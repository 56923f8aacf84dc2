"""BeatStitch's own Apache Kafka (KRaft mode), run from Kafka's jars: one broker or a cluster.

`broker.LocalKafka` starts, stops and reports on one broker; `cluster.LocalKafkaCluster`
does the same for N nodes (each broker and controller, each its own JVM, found in
`node`) and kills, stops and restarts single nodes for fault tests. `properties` writes
their configuration, `jvm` finds Java and the jars and formats storage, `process` owns a
broker's JVM process, `readiness` waits until one answers, and `probe` asks a cluster
what it is.
"""
