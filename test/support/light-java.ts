/**
 * DynamoDB Local lives for seconds to minutes in a test: the JVM's quick compiler alone and a single-threaded
 * collector spend about a third less CPU on it than the JVM's defaults, which on a 2-core machine shortens the
 * whole suite. DynamoDB Local inherits this process's environment; a value already set wins.
 */
process.env.JAVA_TOOL_OPTIONS ??= '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
