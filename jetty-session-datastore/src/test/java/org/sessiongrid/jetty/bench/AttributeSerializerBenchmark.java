package org.sessiongrid.jetty.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.sessiongrid.jetty.mapping.AttributeSerializer;

/**
 * The Jetty adapter's reading of one attribute, as a member that is not the session's primary reads every
 * attribute that changed (a round-robin farm reads what the other nodes wrote): a counter, a 1 KiB byte array,
 * and a small list (no standard form: always Jetty's stream). Average time per operation, one thread; run with
 * {@code -prof gc} for the bytes allocated per read, the figure that holds on a loaded machine.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class AttributeSerializerBenchmark {

    private AttributeSerializer serializer;
    private byte[] counter;
    private byte[] payload;
    private byte[] list;

    @Setup(Level.Trial)
    public void setUp() throws IOException, ClassNotFoundException {
        serializer = new AttributeSerializer(null);
        counter = serializer.encode("counter", 1_000);
        byte[] kib = new byte[1024];
        new Random(44).nextBytes(kib);
        payload = serializer.encode("payload", kib);
        list = serializer.encode("recent", new ArrayList<>(List.of("/cart", "/item/4711", "/checkout")));
        if (!Integer.valueOf(1_000).equals(serializer.decode("counter", counter))) {
            throw new IllegalStateException("the counter does not read back");
        }
    }

    /** A counter ({@code Integer}). */
    @Benchmark
    public Object decodeCounter() throws IOException, ClassNotFoundException {
        return serializer.decode("counter", counter);
    }

    /** A 1 KiB {@code byte[]} (the farm benchmark's payload). */
    @Benchmark
    public Object decodeByteArray() throws IOException, ClassNotFoundException {
        return serializer.decode("payload", payload);
    }

    /** A value with no standard form, through Jetty's stream either way. */
    @Benchmark
    public Object decodeList() throws IOException, ClassNotFoundException {
        return serializer.decode("recent", list);
    }
}
