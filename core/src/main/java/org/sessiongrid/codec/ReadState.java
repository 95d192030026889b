package org.sessiongrid.codec;

import java.io.InvalidClassException;
import java.io.InvalidObjectException;
import java.io.ObjectInputFilter;
import java.lang.reflect.Proxy;

import org.sessiongrid.codec.DeserializationPolicy.Verdict;
import org.sessiongrid.codec.UnreadableAttributeException.Reason;

/**
 * The policy's filter over one read of an attribute (or of a stream an adapter reads itself), which remembers
 * the first rejection, and the messages for what went wrong: each names the attribute, the class at fault and
 * the fix.
 *
 * <p>Threading: one per read, used by the thread that reads (the stream calls the filter on it); not
 * thread-safe.
 */
final class ReadState implements ObjectInputFilter {

    /*
     * ObjectInputStream may have pulled this many bytes from the source beyond what it has
     * parsed (one block-data chunk is at most 1024 bytes), so the bytes it reports as consumed
     * overstate the real position by up to that much.
     */
    private static final long READ_AHEAD_SLACK = 4096;

    private final String attribute;
    private final DeserializationPolicy policy;
    private final long totalBytes;
    private final ClassLoader loader;
    Rejection rejection;
    private String missingClass;

    record Rejection(Reason reason, String className, String message) {
    }

    ReadState(String attribute, DeserializationPolicy policy, long totalBytes, ClassLoader loader) {
        this.attribute = attribute;
        this.policy = policy;
        this.totalBytes = totalBytes;
        this.loader = loader;
    }

    /** Rejects a denied class by name before it is even loaded (and reports it as rejected, not missing). */
    void precheck(String name) throws InvalidClassException {
        String component = name;
        if (component.startsWith("[")) {
            int dims = 0;
            while (dims < component.length() && component.charAt(dims) == '[') {
                dims++;
            }
            if (!(component.startsWith("L", dims) && component.endsWith(";"))) {
                return; // a primitive array
            }
            component = component.substring(dims + 1, component.length() - 1);
        }
        Verdict v = policy.verdict(component, null, false);
        if (v.rejected()) {
            reject(Reason.REJECTED_BY_FILTER, component, describeRejection(v, component, policy, true));
            throw new InvalidClassException(component, "rejected by " + DeserializationPolicy.SETTING);
        }
    }

    @Override
    public Status checkInput(FilterInfo info) {
        Class<?> cl = info.serialClass();
        String className = cl == null ? null : cl.getName();
        String at = className == null ? "" : " (at class " + className + ")";
        if (info.depth() > policy.maxDepth()) {
            return limit(className, "maxdepth", policy.maxDepth(), "object graph is nested " + info.depth() + " levels deep" + at);
        }
        if (info.references() > policy.maxReferences()) {
            return limit(className, "maxrefs", policy.maxReferences(), "object graph has more than " + policy.maxReferences() + " objects and references" + at);
        }
        if (info.streamBytes() > policy.maxBytes()) {
            return limit(className, "maxbytes", policy.maxBytes(), "serialized form is longer than " + policy.maxBytes() + " bytes");
        }
        if (cl == null) {
            return Status.UNDECIDED;
        }
        Class<?> c = cl;
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (cl.isArray() && info.arrayLength() >= 0) {
            if (info.arrayLength() > policy.maxArrayLength()) {
                return limit(c.getName(), "maxarray", policy.maxArrayLength(), "object graph contains an array of "
                        + info.arrayLength() + " elements of " + cl.getComponentType().getName());
            }
            // A primitive array's elements are all in the stream, so a length the remaining bytes
            // cannot hold is forged; refusing it stops a tiny record from allocating gigabytes.
            // Reference arrays are exempt: JDK collections (Collections.nCopies) legitimately
            // pre-size arrays far beyond their serialized size.
            long elementBytes = elementBytes(cl.getComponentType());
            long remaining = Math.max(0, totalBytes - info.streamBytes()) + READ_AHEAD_SLACK;
            if (elementBytes > 0 && info.arrayLength() * elementBytes > remaining) {
                reject(Reason.CORRUPT, cl.getComponentType().getName(), "attribute '" + attribute
                        + "' could not be deserialized: the stream declares a " + cl.getComponentType().getName()
                        + " array of " + info.arrayLength() + " elements but only " + (totalBytes - info.streamBytes())
                        + " bytes remain; the record is corrupt or forged");
                return Status.REJECTED;
            }
        }
        // A proxy's generated class name means nothing; its interfaces and handler are checked on their own.
        if (c.isPrimitive() || Proxy.isProxyClass(c)) {
            return Status.UNDECIDED;
        }
        Verdict v = policy.verdict(c.getName(), c.getModule().getName(), true);
        switch (v.outcome()) {
            case DENIED_BY_DEFAULT, DENIED_BY_USER -> {
                reject(Reason.REJECTED_BY_FILTER, c.getName(), describeRejection(v, c.getName(), policy, true));
                return Status.REJECTED;
            }
            case ALWAYS_ALLOWED, ALLOWED_BY_USER -> {
                return Status.ALLOWED;
            }
            default -> {
                // Allowed by default; UNDECIDED lets a stricter JVM-wide filter still say no.
                return Status.UNDECIDED;
            }
        }
    }

    private static long elementBytes(Class<?> component) {
        if (!component.isPrimitive()) {
            return 0;
        }
        return switch (component.getName()) {
            case "long", "double" -> 8;
            case "int", "float" -> 4;
            case "short", "char" -> 2;
            default -> 1;
        };
    }

    private Status limit(String className, String name, long value, String what) {
        reject(Reason.REJECTED_BY_FILTER, className, "attribute '" + attribute + "' was not deserialized: its "
                + what + ", over " + name + "="
                + value + " of " + DeserializationPolicy.SETTING + "; if the attribute is legitimate, raise '"
                + name + "=N' in that setting on every node");
        return Status.REJECTED;
    }

    ObjectInputFilter recordingJvmWide(ObjectInputFilter jvmWide) {
        return info -> {
            Status status = jvmWide.checkInput(info);
            if (status == Status.REJECTED) {
                Class<?> cl = info.serialClass();
                String name = cl == null ? null : cl.getName();
                reject(Reason.REJECTED_BY_FILTER, name, "attribute '" + attribute + "' was not deserialized: "
                        + (name == null ? "a limit" : "class " + name) + " was rejected by the JVM-wide serial"
                        + " filter (jdk.serialFilter, or ObjectInputFilter.Config in the container); allow it"
                        + " there, or keep it out of the session");
            }
            return status;
        };
    }

    /** The class loader the read resolves classes with. */
    ClassLoader loader() {
        return loader;
    }

    void reject(Reason reason, String className, String message) {
        if (rejection == null) {
            String full = message.startsWith("attribute '") ? message
                    : "attribute '" + attribute + "' was not deserialized: " + message;
            rejection = new Rejection(reason, className, full);
        }
    }

    void noteMissing(String name) {
        if (missingClass == null) {
            missingClass = name;
        }
    }

    UnreadableAttributeException rejected(Throwable cause) {
        return new UnreadableAttributeException(attribute, rejection.reason(), rejection.className(),
                rejection.message(), cause);
    }

    UnreadableAttributeException classNotFound(ClassNotFoundException e) {
        String name = missingClass != null ? missingClass : e.getMessage();
        return new UnreadableAttributeException(attribute, Reason.CLASS_NOT_FOUND, name, "attribute '" + attribute
                + "' could not be deserialized: class " + name + " is not visible to the webapp class loader ("
                + describe(loader) + (e.getCause() == null ? "" : ", which failed with " + e.getCause()) + "); deploy the same application version on every node, with " + name
                + " in WEB-INF/classes or WEB-INF/lib (or the container's shared lib)", e);
    }

    UnreadableAttributeException missingDependency(NoClassDefFoundError e) {
        String name = e.getMessage() == null ? null : e.getMessage().replace('/', '.');
        return new UnreadableAttributeException(attribute, Reason.CLASS_NOT_FOUND, name, "attribute '" + attribute
                + "' could not be deserialized: class " + name + ", needed by a class in the attribute, is not"
                + " visible to the webapp class loader (" + describe(loader) + "); deploy the same application"
                + " version, with all its libraries, on every node", e);
    }

    UnreadableAttributeException invalidClass(InvalidClassException e) {
        if (e.getMessage() != null && e.getMessage().contains("filter status: REJECTED")) {
            // Rejected by a filter we did not install: a JVM-wide serial filter factory.
            return new UnreadableAttributeException(attribute, Reason.REJECTED_BY_FILTER, e.classname,
                    "attribute '" + attribute + "' was not deserialized: rejected by the JVM-wide serial filter"
                    + " (jdk.serialFilter or jdk.serialFilterFactory); allow the classes there, or keep them"
                    + " out of the session", e);
        }
        // Without a class name it is the stream's structure that is wrong, not a class version.
        return e.classname == null ? corrupt(String.valueOf(e), e) : incompatible(e.classname, e.getMessage(), e);
    }

    UnreadableAttributeException invalidObject(InvalidObjectException e) {
        String message = String.valueOf(e.getMessage());
        // ObjectInputStream's wording for an enum constant the local class no longer has.
        if (message.startsWith("enum constant ")) {
            int in = message.lastIndexOf(" in ");
            String type = in < 0 ? null : message.substring(in + 4).replaceFirst("^(class|enum|interface) ", "");
            return incompatible(type, message, e);
        }
        return corrupt(String.valueOf(e), e);
    }

    UnreadableAttributeException brokenClass(LinkageError e) {
        return incompatible(null, String.valueOf(e), e);
    }

    private UnreadableAttributeException incompatible(String className, String detail, Throwable cause) {
        String subject = className == null ? "a class in the attribute" : "class " + className;
        return new UnreadableAttributeException(attribute, Reason.INCOMPATIBLE_CLASS, className, "attribute '"
                + attribute + "' could not be deserialized: " + subject + " on this node does not match the one"
                + " that wrote it (" + detail + "); deploy the same version on every node, and give"
                + " serializable classes an explicit, stable serialVersionUID", cause);
    }

    UnreadableAttributeException corrupt(String detail, Throwable cause) {
        return new UnreadableAttributeException(attribute, Reason.CORRUPT, null, "attribute '" + attribute
                + "' could not be deserialized: the serialized bytes are invalid (" + detail + "); the record is"
                + " corrupt or forged, or a readObject/readResolve method of a class in it failed", cause);
    }

    UnreadableAttributeException tooDeep(StackOverflowError e) {
        return new UnreadableAttributeException(attribute, Reason.TOO_LARGE, null, "attribute '" + attribute
                + "' could not be deserialized: its object graph is nested too deeply for this thread's stack;"
                + " lower maxdepth (now " + policy.maxDepth() + ") in " + DeserializationPolicy.SETTING
                + ", or store the data in a flatter structure", e);
    }

    private static String describe(ClassLoader loader) {
        return loader.getName() == null ? loader.getClass().getName()
                : loader.getClass().getName() + " '" + loader.getName() + "'";
    }

    /**
     * Why the policy rejects {@code className}, and the fix, for a message; {@code reading} when a reader met it
     * (then a class on the built-in deny list also means a forged record).
     */
    static String describeRejection(Verdict verdict, String className, DeserializationPolicy policy,
                                      boolean reading) {
        if (verdict.outcome() == DeserializationPolicy.Outcome.DENIED_BY_DEFAULT) {
            return "class " + className + " is on SessionGrid's built-in deny list of known deserialization"
                    + " gadgets (entry '" + verdict.rule() + "'), which no setting overrides; no session"
                    + " attribute should contain it, store plain data instead"
                    + (reading ? ". If the application never stores it, the record was forged: check who"
                            + " can reach the cluster network" : "");
        }
        return "class " + className + " is rejected by pattern '" + verdict.rule() + "' of "
                + DeserializationPolicy.SETTING + " \"" + policy.spec() + "\"; if it belongs in the session,"
                + " add a pattern allowing it before '" + verdict.rule() + "' in that setting on every node";
    }
}
