"""`modelgate image`, `transcribe` and `speak`: the media RPCs against a running gateway."""

from __future__ import annotations

import argparse
from pathlib import Path

from modelgate.cli import connection
from modelgate.cli.output import add_json_flag, stdout
from modelgate.cli.prompt import read_prompt


def _image(args: argparse.Namespace) -> int:
    with connection.connect(args) as client:
        result = client.generate_image(
            read_prompt(args.prompt), model=args.model, count=args.count, size=args.size
        )
    for path in result.save(args.output):
        stdout.line(str(path))
    if args.json:
        stdout.json(result.end)
    return 0


def _transcribe(args: argparse.Namespace) -> int:
    with connection.connect(args) as client:
        reply = client.transcribe(Path(args.file), model=args.model, language=args.language)
    if args.json:
        stdout.json(reply)
    else:
        stdout.line(reply.text)
    return 0


def _speak(args: argparse.Namespace) -> int:
    with connection.connect(args) as client:
        end = client.speak_to_file(
            read_prompt(args.text), args.output, model=args.model, voice=args.voice
        )
    if args.json:
        stdout.json(end)
    else:
        stdout.line(f"{args.output} ({end.audio_size_bytes} bytes)")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `image`, `transcribe` and `speak` to the `modelgate` command."""
    image = commands.add_parser(
        "image", parents=[connection.options()], help="generate images from a prompt"
    )
    image.add_argument("prompt", nargs="?", help="what to draw; `-` or none: stdin")
    image.add_argument(
        "-o", "--output", default="image.png", help="file to write (several: -1, -2 ...)"
    )
    image.add_argument("--model", default="echo", help="model or alias (default: echo)")
    image.add_argument("--count", type=int, default=0, help="number of images (default: 1)")
    image.add_argument("--size", default="", help='"WIDTHxHEIGHT" or "auto"')
    add_json_flag(image, "also print the end event (usage, cost) as protobuf JSON")
    image.set_defaults(func=_image)

    transcribe = commands.add_parser(
        "transcribe", parents=[connection.options()], help="transcribe an audio file"
    )
    transcribe.add_argument("file", help="the audio file (uploaded in 1 MiB chunks)")
    transcribe.add_argument("--model", default="echo", help="model or alias (default: echo)")
    transcribe.add_argument("--language", default="", help="ISO-639-1 language of the audio")
    add_json_flag(transcribe)
    transcribe.set_defaults(func=_transcribe)

    speak = commands.add_parser(
        "speak", parents=[connection.options()], help="speak text into an audio file"
    )
    speak.add_argument("text", nargs="?", help="the text; `-` or none: stdin")
    speak.add_argument("-o", "--output", default="speech.wav", help="file to write")
    speak.add_argument("--model", default="echo", help="model or alias (default: echo)")
    speak.add_argument("--voice", default="", help="voice as the model names it")
    add_json_flag(speak, "print the end event (usage, cost) as protobuf JSON")
    speak.set_defaults(func=_speak)
