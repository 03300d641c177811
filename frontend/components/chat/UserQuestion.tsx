export function UserQuestion({ content }: { content: string }) {
  return (
    <div className="flex justify-end">
      <p className="max-w-[85%] whitespace-pre-wrap break-words rounded-lg bg-teal-700 px-4 py-2 text-white">
        <span className="sr-only">You asked: </span>
        {content}
      </p>
    </div>
  );
}
