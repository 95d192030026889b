package org.sessiongrid.jetty.store;

import java.io.IOException;
import java.util.Map;

import org.eclipse.jetty.session.SessionContext;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.UnreadableSessionDataException;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.jetty.mapping.JettyMetadata;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.SessionRecord;

/** Jetty's view of a grid record: its metadata, and its attributes read with the webapp class loader. */
final class RecordReader {

    /** Jetty's constructor of a context's session data ({@code AbstractSessionDataStore.newSessionData}). */
    interface NewData {
        SessionData make(String id, long created, long accessed, long lastAccessed, long maxInactiveMs);
    }

    private final AttributeSerializer serializer;
    private final SessionContext context;
    private final NewData newData;

    RecordReader(AttributeSerializer serializer, SessionContext context, NewData newData) {
        this.serializer = serializer;
        this.context = context;
        this.newData = newData;
    }

    /**
     * Session {@code id}'s data as Jetty stored it, from record {@code r}.
     *
     * @throws UnreadableSessionDataException if the record has no Jetty metadata, or an attribute
     *                                        cannot be read (the message names it)
     */
    SessionData read(String id, SessionRecord r) throws UnreadableSessionDataException {
        JettyMetadata md;
        try {
            md = JettyMetadata.decode(r.meta().containerData());
        } catch (IOException e) {
            throw new UnreadableSessionDataException(id, context, e);
        }
        SessionData data = newData.make(id, r.meta().creationTime(), md.accessed(), md.lastAccessed(),
                md.maxInactiveMs());
        data.setCookieSet(md.cookieSet());
        data.setLastNode(md.lastNode());
        data.setExpiry(md.expiry());
        long touched = r.meta().lastAccessedTime();
        if (touched > md.writeTime() && touched > md.accessed()) {
            // Requests used the session after its last full write without changing it (batched
            // touches): Jetty's access times and expiry follow the latest of them.
            data.setLastAccessed(md.accessed());
            data.setAccessed(touched);
            data.calcAndSetExpiry(touched);
        }
        for (Map.Entry<String, Attribute> a : r.attributes().entrySet()) {
            try {
                data.setAttribute(a.getKey(), serializer.decode(a.getKey(), a.getValue().value()));
            } catch (AttributeSerializer.RejectedAttributeException e) {
                // The message names the attribute, the class or limit, and the setting.
                throw new UnreadableSessionDataException(id, context, e);
            } catch (IOException | ClassNotFoundException | RuntimeException e) {
                throw new UnreadableSessionDataException(id, context, new IOException("attribute '" + a.getKey()
                        + "' cannot be read: " + e, e));
            }
        }
        data.setLastSaved(md.writeTime());
        data.clean();
        return data;
    }
}
