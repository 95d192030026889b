package org.sessiongrid.jgroups;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.EmptyMessage;
import org.jgroups.Message;
import org.jgroups.blocks.RequestCorrelator;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FailureDetection;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.UnicastHeader3;
import org.jgroups.util.ByteArray;
import org.jgroups.util.UUID;
import org.jgroups.util.Util;
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

/**
 * What the cluster secret adds to the messages between two members, next to what the transport does to
 * them anyway: {@link #plain} serializes each message as the transport writes it to the wire and reads
 * it back as the receiving transport does; {@link #sealed} seals it at the sender ({@link SEAL#seal}),
 * writes and reads the sealed message the same way and opens it at the receiver ({@link SEAL#open}).
 * The difference of the two is the seal's cost, on both members.
 *
 * <p>Each operation is an exchange, a message from A to B and one back, on one thread: a member's
 * thread that opens a message from one member and sends another (a backup answering its primary) uses
 * two keys in turn, as here. The shapes are the messages of one sticky write and JGroups' own traffic
 * around it: {@code write} (a primary's change of a 1 KiB attribute to a backup, a request of the
 * grid's dispatcher with UNICAST3's data header, and the backup's reply), {@code ack} (UNICAST3's
 * acknowledgement each way, header only) and {@code heartbeat} (FD_ALL3's, a multicast without
 * payload). Average time per exchange (two messages), one thread; compare figures of the same run only.
 *
 * <p>Run: {@code mvn -B -o -pl jgroups-config -Pjmh -DskipTests verify -Djmh.args="SealBenchmark -prof gc"}.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class SealBenchmark {

    /** The bytes of an encoded ReplicateRequest carrying a changed 1 KiB attribute and the record's metadata. */
    static final int REPLICATE_PAYLOAD = 1_230;
    /** The bytes of an encoded ReplicateReply. */
    static final int REPLY_PAYLOAD = 24;

    /** Derived once per JVM: PBKDF2 takes a fraction of a second, which the smoke test would pay per shape. */
    private static final SealKeys KEYS = SealKeys.derive("bench", List.of("the benchmark's cluster secret"));

    @Param({"write", "ack", "heartbeat"})
    public String shape;

    private Address a;
    private Address b;
    private SEAL sealA;
    private SEAL sealB;
    private Message toB;
    private Message toA;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        a = UUID.randomUUID();
        b = UUID.randomUUID();
        sealA = new SEAL(KEYS, System::currentTimeMillis);
        sealA.setAddress(a);
        sealB = new SEAL(KEYS, System::currentTimeMillis);
        sealB.setAddress(b);
        toB = message(shape.equals("write") ? "replicate" : shape, a, b);
        toA = message(shape.equals("write") ? "reply" : shape, b, a);
        check(toB, sealB.open(wire(sealA.seal(toB)), a));
        check(toA, sealA.open(wire(sealB.seal(toA)), b));
    }

    private void check(Message sent, Message opened) {
        if (opened == null || opened.getLength() != sent.getLength()
                || opened.getNumHeaders() != sent.getNumHeaders() || opened.getFlags() != sent.getFlags()) {
            throw new IllegalStateException("a sealed " + shape + " does not open intact: " + sealA.dropped() + " "
                    + sealB.dropped());
        }
    }

    /** A message of {@code shape} as the protocols above the seal hand it down. */
    static Message message(String shape, Address from, Address to) {
        short unicast = ClassConfigurator.getProtocolId(UNICAST3.class);
        short dispatcher = ClassConfigurator.getProtocolId(RequestCorrelator.class);
        Message m;
        switch (shape) {
            case "replicate" -> m = new BytesMessage(to, bytes(REPLICATE_PAYLOAD))
                    .putHeader(dispatcher, new RequestCorrelator.Header(RequestCorrelator.Header.REQ, 123_456, dispatcher))
                    .putHeader(unicast, UnicastHeader3.createDataHeader(4_711, (short) 3, false));
            case "reply" -> m = new BytesMessage(to, bytes(REPLY_PAYLOAD))
                    .putHeader(dispatcher, new RequestCorrelator.Header(RequestCorrelator.Header.RSP, 123_456, dispatcher))
                    .putHeader(unicast, UnicastHeader3.createDataHeader(815, (short) 2, false))
                    .setFlag(Message.Flag.OOB);
            case "ack" -> m = new EmptyMessage(to)
                    .putHeader(unicast, UnicastHeader3.createAckHeader(4_711, (short) 3, 17))
                    .setFlag(Message.Flag.OOB);
            case "heartbeat" -> m = new EmptyMessage(null)
                    .putHeader(ClassConfigurator.getProtocolId(FD_ALL3.class), new FailureDetection.HeartbeatHeader())
                    .setFlag(Message.Flag.OOB);
            default -> throw new IllegalArgumentException("no such shape: " + shape);
        }
        return m.setSrc(from);
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** The unsealed baseline: each message written as the transport writes it, and read back. */
    @Benchmark
    public Message plain() throws Exception {
        wire(toB);
        return wire(toA);
    }

    /** Each message sealed at its sender, written and read by the transports, opened at its receiver. */
    @Benchmark
    public Message sealed() throws Exception {
        sealB.open(wire(sealA.seal(toB)), a);
        return sealA.open(wire(sealB.seal(toA)), b);
    }

    private static Message wire(Message m) throws Exception {
        ByteArray out = Util.messageToBuffer(m);
        return Util.messageFromBuffer(out.getArray(), out.getOffset(), out.getLength());
    }
}
