"""BeatStitch's own S3 server for local use and the tests: S3Proxy over a folder.

`server.LocalS3Proxy` starts, stops and reports on one S3Proxy JVM (its process is
`local_stack.kafka.process.BrokerProcess`, shared with the Kafka broker); `config` checks
the jars and writes the key pair and the properties the JVM runs with.
"""
