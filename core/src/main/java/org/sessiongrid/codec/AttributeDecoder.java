package org.sessiongrid.codec;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.InvalidObjectException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;

import org.sessiongrid.codec.UnreadableAttributeException.Reason;

/**
 * The reading side of {@link AttributeCodec}: bytes back to an attribute value, a standard form directly
 * ({@link StandardForms}) where no stricter filter must see it, otherwise through a {@link FilteringInputStream}
 * that checks every class of the graph, and the limits, against the policy while it is read
 * ({@link ReadState}), before any of its code runs. Bad input ends in {@link UnreadableAttributeException} and
 * nothing else.
 *
 * <p>Threading: holds only the immutable policy and forms; thread-safe. Each read has its own stream and
 * {@link ReadState} on the caller's thread.
 */
final class AttributeDecoder {

    private final DeserializationPolicy policy;
    private final StandardForms forms;

    AttributeDecoder(DeserializationPolicy policy, StandardForms forms) {
        this.policy = policy;
        this.forms = forms;
    }

    /**
     * The filter an {@link ObjectInputStream} starts out with (the JVM-wide one, as the filter factory makes it),
     * or null. While there is one, every value goes through a stream so that it still has its say.
     */
    private static ObjectInputFilter jvmWideFilter() {
        return ObjectInputFilter.Config.getSerialFilterFactory().apply(null, ObjectInputFilter.Config.getSerialFilter());
    }

    /** See {@link AttributeCodec#readsWithoutStream}. */
    boolean readsWithoutStream(Class<?> type) {
        return forms.reads(type) && jvmWideFilter() == null;
    }

    /** See {@link AttributeCodec#decode}. */
    Object decode(String name, byte[] bytes, ClassLoader loader) throws UnreadableAttributeException {
        if (bytes.length > policy.maxBytes()) {
            throw new UnreadableAttributeException(name, Reason.TOO_LARGE, null, "attribute '" + name
                    + "' is " + bytes.length + " bytes, over maxbytes=" + policy.maxBytes() + " of "
                    + DeserializationPolicy.SETTING + "; raise 'maxbytes=N' in that setting, the same on"
                    + " every node", null);
        }
        // Under lower limits than these the stream's filter refuses some standard forms: it decides them all.
        if (jvmWideFilter() == null && policy.maxReferences() >= StandardForms.MIN_REFERENCES
                && policy.maxDepth() >= StandardForms.MIN_DEPTH) {
            Object standard = forms.decode(bytes, policy.maxArrayLength());
            if (standard != null) {
                return standard;
            }
        }
        ReadState state = new ReadState(name, policy, bytes.length, loader);
        ByteArrayInputStream source = new ByteArrayInputStream(bytes);
        try (FilteringInputStream in = new FilteringInputStream(source, state)) {
            Object value = in.readObject();
            // A readObject method may have caught the rejection and carried on; the graph is still tainted.
            if (state.rejection != null) {
                throw state.rejected(null);
            }
            if (source.available() > 0) {
                throw state.corrupt(source.available() + " unexpected bytes follow the serialized object", null);
            }
            return value;
        } catch (UnreadableAttributeException e) {
            throw e;
        } catch (ClassNotFoundException e) {
            throw state.rejection != null ? state.rejected(e) : state.classNotFound(e);
        } catch (InvalidClassException e) {
            throw state.rejection != null ? state.rejected(e) : state.invalidClass(e);
        } catch (InvalidObjectException e) {
            throw state.rejection != null ? state.rejected(e) : state.invalidObject(e);
        } catch (IOException | RuntimeException e) {
            throw state.rejection != null ? state.rejected(e) : state.corrupt(String.valueOf(e), e);
        } catch (NoClassDefFoundError e) {
            throw state.rejection != null ? state.rejected(e) : state.missingDependency(e);
        } catch (LinkageError e) {
            throw state.rejection != null ? state.rejected(e) : state.brokenClass(e);
        } catch (StackOverflowError e) {
            throw state.rejection != null ? state.rejected(e) : state.tooDeep(e);
        } catch (InternalError | AssertionError e) {
            // Library code signals "impossible" states this way, e.g. a forged immutable Map of odd
            // length (ImmutableCollections.MapN: "length is odd"), or an assert in a readObject.
            throw state.rejection != null ? state.rejected(e) : state.corrupt(String.valueOf(e), e);
        }
    }

    /** See {@link AttributeCodec#streamFilter}. */
    ReadState streamState(String what, long streamBytes, ClassLoader loader) {
        return new ReadState(what, policy, streamBytes, loader);
    }
}
