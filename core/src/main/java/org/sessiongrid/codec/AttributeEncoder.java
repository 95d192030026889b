package org.sessiongrid.codec;

import java.io.IOException;
import java.io.NotSerializableException;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The writing side of {@link AttributeCodec}: one attribute value to bytes, in a standard form where it has one
 * ({@link StandardForms}), otherwise with Java serialization, checked against the policy every reader enforces
 * ({@link PolicyCheckingOutputStream}) and against {@code maxbytes} ({@link CappedBuffer}), so that what fails
 * fails here, where the application can still react, with a message naming the attribute, the class at fault and
 * the fix.
 *
 * <p>Threading: holds only the immutable policy and forms; thread-safe. Each call uses its own buffer and
 * stream on the caller's thread.
 */
final class AttributeEncoder {

    /**
     * Where {@link #encode} starts without a size hint: enough for the small values
     * most attributes are, and the buffer doubles from there (ObjectOutputStream passes its output on
     * in small pieces, about one per object written, so growth by what a piece needs would copy the
     * buffer again and again).
     */
    private static final int DEFAULT_BUFFER_BYTES = 256;

    private final DeserializationPolicy policy;
    private final StandardForms forms;

    AttributeEncoder(DeserializationPolicy policy, StandardForms forms) {
        this.policy = policy;
        this.forms = forms;
    }

    /** See {@link AttributeCodec#encode(String, Object, int)}. */
    byte[] encode(String name, Object value, int expectedBytes) {
        byte[] standard = forms.encode(value);
        if (standard != null) {
            return standard;
        }
        String valueType = value == null ? "null" : value.getClass().getName();
        CappedBuffer buffer = new CappedBuffer(policy.maxBytes(), expectedBytes > 0 ? expectedBytes : DEFAULT_BUFFER_BYTES);
        PolicyCheckingOutputStream out;
        try {
            out = new PolicyCheckingOutputStream(buffer, policy);
            out.writeObject(value);
            out.close();
        } catch (NotSerializableException e) {
            String offending = firstLine(e.getMessage());
            throw new NotSerializableAttributeException(name, valueType, offending, locate(value, offending), e);
        } catch (IOException | RuntimeException e) {
            throw new AttributeEncodingException(name, valueType, "attribute '" + name + "' (" + valueType
                    + ") could not be serialized: " + e + "; check the writeObject/writeReplace methods of"
                    + " the classes it contains, and that no other thread modifies it while the request"
                    + " completes", e);
        } catch (StackOverflowError e) {
            throw new AttributeEncodingException(name, valueType, "attribute '" + name + "' (" + valueType
                    + ") is nested too deeply to serialize (StackOverflowError), typically a long chain of"
                    + " linked objects; store the data in a flat collection instead", null);
        }
        if (out.violation != null) {
            throw new AttributeEncodingException(name, valueType, "attribute '" + name + "' (" + valueType
                    + ") would be quarantined by every node that reads it: " + out.violation, null);
        }
        if (buffer.size() > policy.maxBytes()) {
            throw new AttributeTooLargeException(name, valueType, buffer.size(), policy.maxBytes());
        }
        return buffer.toByteArray();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown class";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }

    /**
     * Finds where an object of the class serialization choked on sits in the value, breadth
     * first, for the error message. Best effort and bounded: it reads fields of application
     * classes and walks JDK collections through their public API, and gives up after 100,000
     * objects.
     */
    private static String locate(Object root, String className) {
        record Step(Object object, String path) {
            String child(String field) {
                return path.isEmpty() ? field : path + "." + field;
            }
        }
        Deque<Step> queue = new ArrayDeque<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        queue.add(new Step(root, ""));
        int budget = 100_000;
        while (!queue.isEmpty() && budget-- > 0) {
            Step step = queue.poll();
            Object o = step.object();
            if (o == null || !seen.add(o)) {
                continue;
            }
            Class<?> c = o.getClass();
            if (c.getName().equals(className)) {
                return step.path();
            }
            if (!(o instanceof Serializable)) {
                continue;
            }
            try {
                if (c.isArray()) {
                    if (!c.getComponentType().isPrimitive()) {
                        Object[] array = (Object[]) o;
                        for (int i = 0; i < array.length; i++) {
                            queue.add(new Step(array[i], step.path() + "[" + i + "]"));
                        }
                    }
                    continue;
                }
                if (o instanceof Map<?, ?> map) {
                    for (Map.Entry<?, ?> e : map.entrySet()) {
                        queue.add(new Step(e.getKey(), step.path() + "[key]"));
                        queue.add(new Step(e.getValue(), step.path() + "[value]"));
                    }
                } else if (o instanceof List<?> list) {
                    int i = 0;
                    for (Object e : list) {
                        queue.add(new Step(e, step.path() + "[" + i++ + "]"));
                    }
                } else if (o instanceof Collection<?> collection) {
                    for (Object e : collection) {
                        queue.add(new Step(e, step.path() + "[element]"));
                    }
                }
                // JDK classes (named modules) keep their fields closed to reflection; application classes don't.
                for (Class<?> k = c; k != null && !k.getModule().isNamed(); k = k.getSuperclass()) {
                    for (Field f : k.getDeclaredFields()) {
                        int m = f.getModifiers();
                        if (Modifier.isStatic(m) || Modifier.isTransient(m) || f.getType().isPrimitive()
                                || !f.trySetAccessible()) {
                            continue;
                        }
                        queue.add(new Step(f.get(o), step.child(f.getName())));
                    }
                }
            } catch (RuntimeException | IllegalAccessException e) {
                // Modified concurrently or not walkable; the message just gets less precise.
            }
        }
        return null;
    }
}
