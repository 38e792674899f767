"""A test RTSP camera: ``/usr/bin/python3 rtsp_server.py PORT`` serves ``rtsp://127.0.0.1:PORT/cam``.

Run by the system Python (GStreamer's introspection bindings are not in the venv). The
stream is H.264 from x264 with SPS/PPS only in the SDP (``rtph264pay`` sends no in-band
parameter sets by default), like many real cameras. Prints ``ready`` once listening.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PIPELINE = (
    "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! x264enc tune=zerolatency key-int-max=30 speed-preset=ultrafast "
    "! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 )"
)


def main() -> None:
    port = sys.argv[1]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(PIPELINE)
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on {port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
