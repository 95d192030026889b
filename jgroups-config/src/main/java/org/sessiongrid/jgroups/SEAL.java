package org.sessiongrid.jgroups;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Global;
import org.jgroups.Message;
import org.jgroups.PhysicalAddress;
import org.jgroups.stack.Protocol;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;

/**
 * Seals every message a member sends with the cluster's secret and opens, or drops, every message
 * it receives. Sits directly above the transport, so discovery, joins, views, merges, heartbeats and
 * the grid's own messages are all covered; {@link StackLoader} inserts it when a cluster secret is
 * set.
 *
 * <p>A sealed message is the whole JGroups message (destination, source, flags, every protocol's
 * headers, payload) encrypted and authenticated with AES-256-GCM, behind a clear but authenticated
 * header: format, key id, the sender's incarnation (random per channel), a counter and the sender's
 * clock. A receiver accepts a message only if
 * <ul>
 *   <li>it holds the key the id names and the tag verifies (else {@code other-secret},
 *       {@code forged}, or {@code unsealed} for a message not in this format at all);</li>
 *   <li>the sender's clock is within {@value #MAX_AGE_MILLIS} ms of its own ({@code stale});</li>
 *   <li>it has not accepted this incarnation's counter before ({@code replayed}, {@link ReplayWindow});</li>
 *   <li>a unicast names this member as destination ({@code misdirected}: a message captured on its
 *       way to another member, or to this member's previous incarnation), and the transport's sender
 *       is the sealed one ({@code spoofed}).</li>
 * </ul>
 * The reason in parentheses is what a drop is counted under ({@link #dropped()}, and the grid's
 * {@code DroppedMessagesByReason}). See docs/design.md, "Security", for why this and not JGroups'
 * SYM_ENCRYPT and AUTH.
 */
public final class SEAL extends Protocol {

    /**
     * Bytes 0 and 1 of every sealed message: tells a sealed message from a plain one. Not "SG", which
     * starts every grid message (WireCodec): a plain grid request from a host without the secret
     * would have been counted as sealed with another secret.
     */
    static final short FORMAT = (short) 0xC5EA;
    /** format(2) key id(4) incarnation(16) counter(8) clock(8). */
    static final int HEADER_LENGTH = 2 + 4 + 16 + 8 + 8;
    private static final int TAG_BITS = 128;
    private static final int TAG_LENGTH = TAG_BITS / 8;
    static final int OVERHEAD = HEADER_LENGTH + TAG_LENGTH;
    /**
     * How far a sender's clock may be from the receiver's. Bounds how long a captured message could
     * be replayed to a member that never heard from its sender's incarnation; members' clocks must
     * agree within it (NTP), or they cannot talk at all (drops counted as {@code stale}).
     */
    public static final long MAX_AGE_MILLIS = 120_000;
    /** Incarnations idle for this long are forgotten: everything they sent is stale by then. */
    private static final long FORGET_AFTER_MILLIS = 2 * MAX_AGE_MILLIS;
    private static final int FORGET_CHECK_SIZE = 256;

    /** Told about every message dropped, with its reason; the grid counts them in its metrics. */
    @FunctionalInterface
    public interface DropListener {
        void dropped(String reason);
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final SealKeys keys;
    private final LongSupplier clock;
    private final long incarnationHigh = RANDOM.nextLong();
    private final long incarnationLow = RANDOM.nextLong();
    private final SecretKeySpec sealingKey;
    private final int sealingKeyId;
    private final GcmCiphers sealingCiphers = new GcmCiphers();
    /** For the first message of an incarnation: keys vary, each is expanded on use. */
    private final GcmCiphers firstContactCiphers = new GcmCiphers();
    private final AtomicLong counter = new AtomicLong();
    private final Map<Incarnation, Peer> peers = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> drops = new ConcurrentHashMap<>();
    private final SealDropLog dropLog = new SealDropLog();
    private volatile DropListener listener = reason -> { };
    private volatile Address self;

    /**
     * A sender incarnation, the key of {@link #peers}: a plain class rather than a record, whose
     * {@code hashCode} and {@code equals} go through method handles, slow on every message until the
     * JIT has compiled them.
     */
    private static final class Incarnation {
        final long high;
        final long low;

        Incarnation(long high, long low) {
            this.high = high;
            this.low = low;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Incarnation other && other.high == high && other.low == low;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(high * 31 + low);
        }
    }

    /** What this member knows of one sender incarnation it accepted a message from. */
    private static final class Peer {
        final int keyId;
        final SecretKeySpec key;
        final ReplayWindow window;
        final GcmCiphers ciphers = new GcmCiphers();
        volatile long lastSeen;

        Peer(int keyId, SecretKeySpec key, long firstCounter, long now) {
            this.keyId = keyId;
            this.key = key;
            this.window = new ReplayWindow(firstCounter);
            this.lastSeen = now;
        }
    }

    SEAL(SealKeys keys, LongSupplier clock) {
        this.keys = keys;
        this.clock = clock;
        this.sealingKey = keys.sealing().incarnationKey(incarnationHigh, incarnationLow);
        this.sealingKeyId = keys.sealing().id();
    }

    /**
     * Seals a message with a second instance holding the same keys and opens it here, before the
     * channel connects. Checks that this JDK can seal at all, and takes the first use of the JDK's
     * crypto classes (class loading, provider set-up: seconds on a loaded host with C1 only) out of
     * discovery, whose responses must arrive within GMS' join timeout.
     *
     * @throws IllegalStateException if the message does not come back intact
     */
    void selfTest() {
        SEAL peer = new SEAL(keys, clock);
        Address self = org.jgroups.util.UUID.randomUUID();
        try {
            Message opened = open(peer.seal(new BytesMessage(null, new byte[] {42}).setSrc(self)), self);
            if (opened == null || opened.getLength() != 1 || opened.getArray()[opened.getOffset()] != 42) {
                throw new IllegalStateException("a sealed test message did not open intact: " + dropped());
            }
        } catch (Exception e) {
            throw new IllegalStateException("sealing does not work on this JDK: " + e, e);
        }
        // The peer's incarnation is never seen again.
        peers.clear();
    }

    /** Sets who is told about each drop (replacing the previous listener). */
    public SEAL onDrop(DropListener listener) {
        this.listener = listener == null ? reason -> { } : listener;
        return this;
    }

    /** Messages dropped so far, by reason. */
    public Map<String, Long> dropped() {
        Map<String, Long> out = new TreeMap<>();
        drops.forEach((reason, n) -> out.put(reason, n.sum()));
        return out;
    }

    @Override
    public Object down(Message msg) {
        Message sealed;
        try {
            sealed = seal(msg);
        } catch (Exception e) {
            // Only a JDK without AES-GCM or a message JGroups cannot serialize gets here; the
            // protocols above retransmit what was reliable.
            log.warn("%s: could not seal a message to %s: %s", localAddress(), msg.getDest(), e);
            return null;
        }
        return down_prot.down(sealed);
    }

    @Override
    public Object up(Message msg) {
        Message opened = open(msg, msg.getSrc());
        return opened == null ? null : up_prot.up(opened);
    }

    @Override
    public void up(MessageBatch batch) {
        Iterator<Message> it = batch.iterator();
        while (it.hasNext()) {
            Message opened = open(it.next(), batch.getSender());
            if (opened == null) {
                it.remove();
            } else {
                ((org.jgroups.util.FastArray<Message>.FastIterator) it).replace(opened);
            }
        }
        if (batch.size() > 0) {
            up_prot.up(batch);
        }
    }

    Message seal(Message msg) throws Exception {
        if (msg.getSrc() == null) {
            msg.setSrc(localAddress());
        }
        long n = counter.incrementAndGet();
        // One buffer: the header, then the message as Util.messageToBuffer writes it, encrypted in place,
        // then the tag; the transport sends it as it is.
        ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(
                HEADER_LENGTH + Global.SHORT_SIZE + msg.size() + TAG_LENGTH);
        out.writeShort(FORMAT);
        out.writeInt(sealingKeyId);
        out.writeLong(incarnationHigh);
        out.writeLong(incarnationLow);
        out.writeLong(n);
        out.writeLong(clock.getAsLong());
        out.writeShort(msg.getType());
        msg.writeTo(out);
        int plainLength = out.position() - HEADER_LENGTH;
        out.ensureCapacity(TAG_LENGTH);
        byte[] buf = out.buffer();
        Cipher cipher = sealingCiphers.take();
        int sealedLength;
        try {
            cipher.init(Cipher.ENCRYPT_MODE, sealingKey, nonce(n));
            cipher.updateAAD(buf, 0, HEADER_LENGTH);
            sealedLength = HEADER_LENGTH + cipher.doFinal(buf, HEADER_LENGTH, plainLength, buf, HEADER_LENGTH);
        } finally {
            sealingCiphers.give(cipher);
        }
        Message sealed = new BytesMessage(msg.getDest(), buf, 0, sealedLength).setSrc(msg.getSrc());
        sealed.setFlag(msg.getFlags(false), false, true);
        sealed.setFlag(msg.getFlags(true), true, true);
        return sealed;
    }

    /** The message {@code sealed} carries, or null (counted and logged) if it must be dropped. */
    Message open(Message sealed, Address transportSender) {
        if (!sealed.hasArray()) {
            return drop("unsealed", transportSender);
        }
        byte[] buf = sealed.getArray();
        int offset = sealed.getOffset();
        int length = sealed.getLength();
        if (length < OVERHEAD || ByteBuffer.wrap(buf, offset, 2).getShort() != FORMAT) {
            return drop("unsealed", transportSender);
        }
        ByteBuffer header = ByteBuffer.wrap(buf, offset + 2, HEADER_LENGTH - 2);
        int keyId = header.getInt();
        Incarnation incarnation = new Incarnation(header.getLong(), header.getLong());
        long n = header.getLong();
        long sentAt = header.getLong();
        SealKeys.Key key = keys.byId(keyId);
        if (key == null) {
            return drop("other-secret", transportSender);
        }
        Peer peer = peers.get(incarnation);
        boolean known = peer != null && peer.keyId == keyId;
        SecretKeySpec aesKey = known ? peer.key : key.incarnationKey(incarnation.high, incarnation.low);
        GcmCiphers ciphers = known ? peer.ciphers : firstContactCiphers;
        Cipher cipher = ciphers.take();
        byte[] plain;
        try {
            cipher.init(Cipher.DECRYPT_MODE, aesKey, nonce(n));
            cipher.updateAAD(buf, offset, HEADER_LENGTH);
            plain = cipher.doFinal(buf, offset + HEADER_LENGTH, length - HEADER_LENGTH);
        } catch (AEADBadTagException e) {
            return drop("forged", transportSender);
        } catch (GeneralSecurityException e) {
            return drop("forged", transportSender);
        } finally {
            ciphers.give(cipher);
        }
        long now = clock.getAsLong();
        if (Math.abs(now - sentAt) > MAX_AGE_MILLIS) {
            dropLog.skew(transportSender, now - sentAt);
            return drop("stale", transportSender);
        }
        if (peer == null) {
            forgetIdle(now);
            peer = peers.computeIfAbsent(incarnation, i -> new Peer(keyId, aesKey, n, now));
        }
        boolean ownEcho = incarnation.high == incarnationHigh && incarnation.low == incarnationLow;
        if (!peer.window.accept(n)) {
            // Our own multicast comes back from the network on UDP after the transport looped it back.
            return ownEcho ? null : drop("replayed", transportSender);
        }
        peer.lastSeen = now;
        Message msg;
        try {
            msg = Util.messageFromBuffer(plain, 0, plain.length);
        } catch (Exception e) {
            // Authentic but unreadable: a member on another JGroups version.
            return drop("unreadable", transportSender);
        }
        Address me = localAddress();
        // Discovery sends to physical addresses (initial hosts), which NAT may translate: only a
        // logical destination, which names one incarnation of one member, is checked.
        if (msg.getDest() != null && !(msg.getDest() instanceof PhysicalAddress) && me != null
                && !msg.getDest().equals(me)) {
            return drop("misdirected", transportSender);
        }
        if (msg.getSrc() == null || transportSender != null && !transportSender.equals(msg.getSrc())) {
            return drop("spoofed", transportSender);
        }
        return msg;
    }

    private Message drop(String reason, Address from) {
        drops.computeIfAbsent(reason, r -> new LongAdder()).increment();
        dropLog.dropped(reason, from);
        try {
            listener.dropped(reason);
        } catch (RuntimeException e) {
            log.warn("%s: the drop listener failed: %s", localAddress(), e);
        }
        return null;
    }

    private void forgetIdle(long now) {
        if (peers.size() < FORGET_CHECK_SIZE) {
            return;
        }
        peers.values().removeIf(p -> now - p.lastSeen > FORGET_AFTER_MILLIS);
    }

    private static GCMParameterSpec nonce(long n) {
        // Unique per incarnation key: the counter never repeats within an incarnation.
        return new GCMParameterSpec(TAG_BITS, ByteBuffer.allocate(12).putLong(4, n).array());
    }

    private Address localAddress() {
        Address a = self;
        if (a == null && getTransport() != null) {
            a = getTransport().getAddress();
        }
        return a != null ? a : local_addr;
    }

    @Override
    public <T extends Protocol> T setAddress(Address addr) {
        this.self = addr;
        return super.setAddress(addr);
    }
}
