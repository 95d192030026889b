package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.util.ByteArray;
import org.jgroups.util.UUID;
import org.jgroups.util.Util;
import org.junit.jupiter.api.Test;

/**
 * The bytes of a sealed message, decoded here without {@link SEAL}: format, key id, incarnation, counter
 * and clock in clear, then the AES-256-GCM encryption of the message exactly as
 * {@link Util#messageToBuffer} writes it, under the incarnation's key with the counter as nonce, then the
 * tag, and nothing after. Members of a farm upgraded one at a time must open each other's messages
 * whatever the way this member builds them.
 */
class SealFormatTest {

    private static final long NOW = 1_700_000_000_000L;

    @Test
    void aSealedMessageIsTheClearHeaderThenTheEncryptedMessageThenTheTag() throws Exception {
        SealKeys keys = SealKeys.derive("shop", List.of("correct horse battery staple"));
        Address alice = UUID.randomUUID();
        Address bob = UUID.randomUUID();
        SEAL seal = new SEAL(keys, () -> NOW);
        seal.setAddress(alice);
        for (String shape : List.of("replicate", "reply", "ack", "heartbeat")) {
            Message msg = SealBenchmark.message(shape, alice, "heartbeat".equals(shape) ? null : bob);
            Message sealed = seal.seal(msg);
            byte[] wire = Arrays.copyOfRange(sealed.getArray(), sealed.getOffset(), sealed.getOffset() + sealed.getLength());

            ByteBuffer header = ByteBuffer.wrap(wire);
            assertEquals(SEAL.FORMAT, header.getShort(), shape);
            assertEquals(keys.sealing().id(), header.getInt(), shape);
            long high = header.getLong();
            long low = header.getLong();
            long counter = header.getLong();
            assertEquals(NOW, header.getLong(), shape);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, keys.sealing().incarnationKey(high, low),
                    new GCMParameterSpec(128, ByteBuffer.allocate(12).putLong(4, counter).array()));
            cipher.updateAAD(wire, 0, SEAL.HEADER_LENGTH);
            byte[] plain = cipher.doFinal(wire, SEAL.HEADER_LENGTH, wire.length - SEAL.HEADER_LENGTH);

            ByteArray expected = Util.messageToBuffer(msg);
            assertArrayEquals(Arrays.copyOfRange(expected.getArray(), expected.getOffset(),
                    expected.getOffset() + expected.getLength()), plain, shape);
            assertEquals(SEAL.OVERHEAD + plain.length, wire.length, shape);
            assertEquals(msg.getDest(), sealed.getDest(), shape);
            assertEquals(msg.getFlags(), sealed.getFlags(), shape);
        }
    }
}
