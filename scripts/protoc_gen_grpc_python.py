"""protoc plugin that runs grpcio-tools' built-in grpc_python generator.

grpcio-tools compiles the gRPC Python generator into its own protoc instead of
shipping a `protoc-gen-grpc_python` binary, so `buf generate` cannot call it
directly. This wrapper speaks the plugin protocol on stdin/stdout and runs that
protoc on the descriptors buf hands over.
"""

import pathlib
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with_services = {f.name for f in request.proto_file if f.service}
    targets = [name for name in request.file_to_generate if name in with_services]
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        descriptors = descriptor_pb2.FileDescriptorSet(file=request.proto_file)
        (root / "set.pb").write_bytes(descriptors.SerializeToString())
        out = root / "out"
        out.mkdir()
        args = ["protoc", f"--descriptor_set_in={root / 'set.pb'}", f"--grpc_python_out={out}"]
        if request.parameter:
            args[-1] = f"--grpc_python_out={request.parameter}:{out}"
        if targets and protoc.main([*args, *targets]) != 0:
            response.error = "grpc_tools.protoc failed"
        for path in sorted(out.rglob("*.py")):
            generated = response.file.add()
            generated.name = str(path.relative_to(out))
            generated.content = path.read_text()
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
