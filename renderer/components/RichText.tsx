// Text from the gateway with `commands` in backticks, shown as code. Everything stays text:
// strings from the gateway (and from senders) are never parsed as HTML.
export function RichText({ text }: { text: string }) {
  const parts = text.split(/`([^`\n]+)`/);
  return (
    <>
      {parts.map((part, index) =>
        index % 2 === 1 ? (
          <code key={index} className="inline-code">
            {part}
          </code>
        ) : (
          part
        ),
      )}
    </>
  );
}
