package org.sessiongrid.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.UnreadableAttributeException;
import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionMeta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.MalformedMessageException;
import org.sessiongrid.wire.WireCodec;

/**
 * The encoding work of one sticky write, without any messaging: serializing the changed attribute
 * (the container adapter's part), encoding the change a primary sends to its backups, and decoding it
 * at a backup. The record holds a few small attributes and one of {@code valueBytes}, the one that
 * changed. Average time per operation, one thread; compare runs of the same machine only.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class CodecBenchmark {

    @Param({"1024", "16384"})
    public int valueBytes;

    private WireCodec wire;
    private GridMessage.ReplicateRequest change;
    private byte[] encodedChange;
    private AttributeCodec attributes;
    private ArrayList<String> cart;
    private int cartBytes;
    private Integer counter = 1_000;
    private byte[] payload;
    private String token;
    private byte[] encodedCounter;
    private byte[] encodedPayload;
    private byte[] encodedCart;
    private final ClassLoader loader = CodecBenchmark.class.getClassLoader();

    @Setup(Level.Trial)
    public void setUp() throws MalformedMessageException {
        wire = new WireCodec(16 * 1024 * 1024);
        SessionKey key = new SessionKey("localhost/shop", "9F3A1C0B7E2D4F56A1B2C3D4E5F60718.node-a");
        long topologyId = 7;
        long base = topologyId << 32;
        TreeMap<String, Attribute> attrs = new TreeMap<>();
        for (String name : List.of("locale", "user", "csrfToken", "lastPage")) {
            attrs.put(name, new Attribute(bytes(48, name.hashCode()), base));
        }
        attrs.put("cart", new Attribute(bytes(valueBytes, 42), base));
        SessionMeta meta = new SessionMeta(1_700_000_000_000L, 1_700_000_100_000L, 1800, true, null, null, 11);
        SessionRecord before = new SessionRecord(key, base, meta, attrs);
        TreeMap<String, Attribute> changed = new TreeMap<>(attrs);
        changed.put("cart", new Attribute(bytes(valueBytes, 43), base + 1));
        SessionRecord after = new SessionRecord(key, base + 1, meta.withLastAccessedTime(1_700_000_200_000L), changed);
        change = new GridMessage.ReplicateRequest(topologyId, after.changesSince(before.version()));
        encodedChange = wire.encode(change);
        if (!change.equals(wire.decode(encodedChange))) {
            throw new IllegalStateException("the change does not survive its own encoding");
        }

        attributes = new AttributeCodec(DeserializationPolicy.defaults());
        // A list of item ids, grown until its serialized form reaches valueBytes: what a shopping
        // cart or a list of recently viewed pages looks like to Java serialization.
        cart = new ArrayList<>();
        int item = 0;
        while (attributes.encode("cart", cart).length < valueBytes) {
            for (int i = 0; i < 16; i++) {
                cart.add("sku-" + (100_000 + item++) + "-blue-XL");
            }
        }
        cartBytes = attributes.encode("cart", cart).length;
        payload = bytes(valueBytes, 44);
        token = "3f9c2a7e-51b4-4d0e-9a6b-c1d2e3f40516";
        encodedCounter = attributes.encode("counter", counter);
        encodedPayload = attributes.encode("payload", payload);
        encodedCart = attributes.encode("cart", cart);
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The adapter's serialization of the changed attribute at the end of a request. */
    @Benchmark
    public byte[] encodeAttribute() {
        return attributes.encode("cart", cart);
    }

    /**
     * As {@link #encodeAttribute()}, told the length of the attribute's previous serialized form, as an
     * adapter that re-serializes an attribute at every request can.
     */
    @Benchmark
    public byte[] encodeAttributeWithPreviousLength() {
        return attributes.encode("cart", cart, cartBytes);
    }

    /** The adapter's serialization of a counter: a boxed primitive, as many attributes are. */
    @Benchmark
    public byte[] encodeCounter() {
        return attributes.encode("counter", counter++);
    }

    /** The adapter's serialization of a byte array of {@code valueBytes} (the write benchmark's payload). */
    @Benchmark
    public byte[] encodeByteArray() {
        return attributes.encode("payload", payload);
    }

    /** The adapter's serialization of a short string (a user name, a locale tag, a CSRF token). */
    @Benchmark
    public byte[] encodeShortString() {
        return attributes.encode("csrfToken", token);
    }

    /** The primary encodes the change once for all its backups. */
    /** A member that is not the primary reads the attributes that changed since its copy: a counter, */
    @Benchmark
    public Object decodeCounter() throws UnreadableAttributeException {
        return attributes.decode("counter", encodedCounter, loader);
    }

    /** a byte array, */
    @Benchmark
    public Object decodeByteArray() throws UnreadableAttributeException {
        return attributes.decode("payload", encodedPayload, loader);
    }

    /** and a value with no standard form, through an ObjectInputStream. */
    @Benchmark
    public Object decodeAttribute() throws UnreadableAttributeException {
        return attributes.decode("cart", encodedCart, loader);
    }

    @Benchmark
    public byte[] encodeReplicateRequest() {
        return wire.encode(change);
    }

    /** A backup decodes the change. */
    @Benchmark
    public GridMessage decodeReplicateRequest() throws MalformedMessageException {
        return wire.decode(encodedChange);
    }
}
