package org.sessiongrid.metrics;

/**
 * How many messages of one kind a member sent or received, and their bytes as SessionGrid encodes
 * them (without JGroups' headers and framing).
 *
 * @param messages number of messages
 * @param bytes    their encoded length, summed
 */
public record MessageCounts(long messages, long bytes) {

    /** No message. */
    public static final MessageCounts NONE = new MessageCounts(0, 0);

    /** The sum of these counts and {@code other}. */
    public MessageCounts plus(MessageCounts other) {
        return new MessageCounts(messages + other.messages, bytes + other.bytes);
    }
}
